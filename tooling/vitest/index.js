// Tests run on the TypeScript sources: the "source" export condition points every
// @platoon/* package at src/index.ts, so no build is needed before `npm test`.
const conditions = ["source", "module", "node", "import", "default"];

/** @param {import("vitest/config").UserConfig["test"]} test */
export function platoonVitest(test = {}) {
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ["source"] } },
    test: {
      include: ["test/**/*.test.ts"],
      testTimeout: 20_000,
      hookTimeout: 30_000,
      ...test,
    },
  };
}
