import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { reportRatios } from "./measure.ts";
import type { Scenario } from "./scenario.ts";

const dir = fileURLToPath(new URL("./scenarios/", import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || name === "--help" || !available.includes(name)) {
  console.error(`usage: npm run bench -- <scenario> [args]\nscenarios: ${available.join(", ")}`);
  process.exit(name && name !== "--help" ? 2 : 0);
}
const scenario = ((await import(`./scenarios/${name}.ts`)) as { default: Scenario }).default;
const results = await scenario.run(args);
reportRatios(scenario.name, results);
process.exit(0);
