/**
 * CPU/memory combinations Fargate accepts (Linux), from the ECS task-definition reference
 * ("Task size"). Memory in MiB, per CPU unit count.
 */
const range = (from: number, to: number, step: number) =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** The memory sizes Fargate offers for `cpu`, or undefined when `cpu` is not a Fargate size. */
export function fargateMemoryChoices(cpu: number): readonly number[] | undefined {
  return FARGATE_MEMORY_BY_CPU[cpu];
}
