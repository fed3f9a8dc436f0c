// One build shape for every package: ESM + CJS + bundled .d.ts, sources under src/.
/** @param {Partial<import("tsup").Options>} overrides */
export function platoonTsup(overrides = {}) {
  return {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
