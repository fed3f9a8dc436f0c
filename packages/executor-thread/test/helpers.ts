// Shared with the other executor package through the testkit.
export {
  decodedOutcome as decoded,
  executorFixtureTasks as fixtureTasks,
  faultOf,
  startExecutor as startWith,
  sumWorkerStats as sum,
  tsFixtureTasks as tsTasks,
} from "@platoon/testkit";
