/** What a handler of `InlineCustomResource` answers for one request. */
export type HandlerResult = { PhysicalResourceId?: string; Data?: unknown } | undefined;

/**
 * Evaluates an `InlineCustomResource` handler source as its function would, with `require`
 * answered by `modules`: lets a test run the handler's logic against fake SDK clients.
 */
export function loadHandler(
  handlerSource: string,
  modules: Record<string, unknown>,
): (event: Record<string, unknown>) => Promise<HandlerResult> {
  const fakeRequire = (name: string) => {
    if (!(name in modules)) throw new Error(`module ${name} is not available`);
    return modules[name];
  };
  return new Function('require', `return (${handlerSource.trim()});`)(fakeRequire);
}

/** A fake SDK v3 client class: `send(command)` goes to `answer(commandName, input)`. */
export function fakeClient(
  calls: { client: string; config: unknown; command: string; input: any }[],
  clientName: string,
  answer: (command: string, input: any, config: any) => unknown,
) {
  return class {
    constructor(readonly config: unknown = {}) {}
    async send(command: { name: string; input: unknown }) {
      calls.push({ client: clientName, config: this.config, command: command.name, input: command.input });
      return answer(command.name, command.input, this.config);
    }
  };
}

/** A fake SDK v3 command class named `name`. */
export function fakeCommand(name: string) {
  return class {
    readonly name = name;
    constructor(readonly input: unknown) {}
  };
}
