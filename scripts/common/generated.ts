/** Generated files and generated sections of hand-written documents. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ScriptError } from './cli';

/**
 * Writes a generated file, or with `check` fails when the committed copy differs from `contents`.
 * `shown` names the file in messages; `command` is what regenerates it.
 */
export function writeOrCheck(
  path: string,
  contents: string,
  options: { check: boolean; shown: string; command: string },
): void {
  const { check, shown, command } = options;
  if (!check) {
    writeFileSync(path, contents);
    console.log(`wrote ${shown}`);
    return;
  }
  if (!existsSync(path) || readFileSync(path, 'utf-8') !== contents) {
    throw new ScriptError(`${shown} is stale: run \`${command}\` and commit the result`);
  }
  console.log(`${shown} is up to date`);
}

/** The lines that open and close a generated section of a document. */
export interface Markers {
  readonly start: string;
  readonly end: string;
}

/** The text between `markers` in `doc`, or undefined when it lacks them. */
export function sectionOf(doc: string, markers: Markers): string | undefined {
  const start = doc.indexOf(markers.start);
  const end = doc.indexOf(markers.end);
  return start < 0 || end < start ? undefined : doc.slice(start + markers.start.length, end);
}

/**
 * `doc` with the text between `markers` replaced by `contents`; `label` names the document in the
 * error when it lacks them.
 */
export function replaceSection(doc: string, markers: Markers, contents: string, label: string): string {
  const start = doc.indexOf(markers.start);
  const end = doc.indexOf(markers.end);
  if (start < 0 || end < start) {
    throw new ScriptError(
      `${label} has no ${markers.start} line followed by a ${markers.end} line: add the two lines where the generated text goes, then run again`,
    );
  }
  return `${doc.slice(0, start + markers.start.length)}${contents}${doc.slice(end)}`;
}
