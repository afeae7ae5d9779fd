/** Command-line options shared by every benchmark: `--quick` shortens every run to a smoke test. */
export interface BenchArgs {
  quick: boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  return { quick: argv.includes('--quick') };
}
