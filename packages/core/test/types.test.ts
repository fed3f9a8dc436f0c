import { describe, expectTypeOf, it } from "vitest";
import { type Client, type JobHandle, type Pool, task } from "../src/index.ts";
import type * as tasks from "./fixtures/tasks.ts";

// Compile-time checks: `npm run typecheck` fails if inference regresses. The runtime
// bodies only exist so vitest counts them.
describe("types flow from the tasks module", () => {
  it("task() infers input and awaited output", () => {
    const t = task("double", async (n: number) => n * 2);
    expectTypeOf(t.name).toEqualTypeOf<"double">();
    expectTypeOf(t.fn).parameter(0).toEqualTypeOf<number>();
  });

  it("a typed client checks task names, inputs and results", () => {
    const check = (client: Client<typeof tasks>) => {
      expectTypeOf(client.enqueue<"add">)
        .parameter(1)
        .toEqualTypeOf<{ a: number; b: number }>();
      expectTypeOf(client.enqueue("add", { a: 1, b: 2 })).resolves.toEqualTypeOf<
        JobHandle<number>
      >();
      expectTypeOf(client.run("echoTrace", 1)).resolves.toEqualTypeOf<string>();
      // @ts-expect-error: unknown task name
      void client.enqueue("nope", 1);
      // @ts-expect-error: wrong input type
      void client.enqueue("add", { a: "1", b: 2 });
    };
    expectTypeOf(check).toBeFunction();
  });

  it("a typed pool checks names and yields typed results", () => {
    const check = (pool: Pool<typeof tasks>) => {
      expectTypeOf(pool.run("add", { a: 1, b: 2 })).resolves.toEqualTypeOf<number>();
      expectTypeOf(pool.map("noop", [1, 2])).toEqualTypeOf<AsyncIterableIterator<number>>();
      // @ts-expect-error: wrong input type
      void pool.run("noop", "x");
    };
    expectTypeOf(check).toBeFunction();
  });

  it("an untyped client takes any name and input", () => {
    const check = (client: Client) => {
      expectTypeOf(client.run("anything", { x: 1 })).resolves.toEqualTypeOf<unknown>();
    };
    expectTypeOf(check).toBeFunction();
  });
});
