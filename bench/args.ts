/** `--name value` from the command line as a number, or `fallback`; anything else is a usage error. */
export function argNumber(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value)) {
    console.error(`${name} expects a number, got ${process.argv[at + 1] ?? 'nothing'}`);
    process.exit(2);
  }
  return value;
}

/** `--name value` from the command line, or `fallback`. */
export function argString(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}
