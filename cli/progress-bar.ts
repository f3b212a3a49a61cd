/**
 * A one-line progress bar for long commands: redrawn in place on a terminal, and on a pipe or log file
 * printed at every tenth of the way so the log stays short.
 */
export function progressBar(
  write: (text: string) => void = (text) => void process.stderr.write(text),
  interactive: boolean = process.stderr.isTTY === true,
): { update: (done: number, total: number, label: string) => void; finish: () => void } {
  const width = 30;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total, label) {
      const fraction = total === 0 ? 1 : Math.min(1, done / total);
      const bar = `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label}`;
      if (interactive) {
        write(`\r${bar}\u001b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      write(`${bar}\n`);
    },
    finish() {
      if (drawn) write('\n');
      drawn = false;
    },
  };
}
