export { checkReachable, openBroker } from "./broker.ts";
export { CONFIG_FILES, defineConfig, loadConfig, type PlatoonConfig } from "./config.ts";
export { CliError, EXIT } from "./exit-codes.ts";
export { main, run } from "./main.ts";
