import type { AdapterFactory } from "@platoon/core";
import { msgpackSerializer } from "./msgpack-serializer.ts";

export {
  MSGPACK_ID,
  type MsgpackSerializerOptions,
  msgpackSerializer,
  WIRE_OPTIONS as MSGPACK_WIRE_OPTIONS,
} from "./msgpack-serializer.ts";

/** Found by @platoon/core's registry when config names the serializer "msgpack". */
export const platoonAdapters: AdapterFactory[] = [
  { kind: "serializer", name: "msgpack", create: () => msgpackSerializer() },
];
