import type { Measurement } from "./measure.ts";

/**
 * A scenario lives in src/scenarios/<name>.ts and default-exports one of these. It runs
 * Platoon and its peers in the same process run, calls report() for each measurement and
 * returns them; main prints the ratios.
 */
export interface Scenario {
  name: string;
  description: string;
  run(args: string[]): Promise<Measurement[]>;
}
