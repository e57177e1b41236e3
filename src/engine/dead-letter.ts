import { packFields } from "./packed-fields.ts"
import type { AnyStage, Emission, ParkInfo, RawEntry } from "./stage.ts"

/** Up to this many original values are copied one by one; a larger entry is carried packed. */
const MAX_COPIED_VALUES = 1_000

/**
 * A dead-letter entry: why and where it failed, plus every original field under `field.<name>`
 * (binary-safe), so `lexstream dlq retry` can put it back exactly as it was. An entry with more
 * fields than a hand-off can append is carried whole in `original_packed` (see packed-fields.ts).
 */
export const deadLetterEmission = (
  deadLetterStream: string,
  stage: AnyStage<unknown>,
  entry: RawEntry,
  info: ParkInfo,
  workKey: string
): Emission => {
  const fields: Array<string | Buffer> = [
    "stage", stage.name,
    "stream", stage.inputStream,
    "entry_id", entry.id,
    "work_key", workKey,
    "reason", info.reason.slice(0, 8_000),
    "deliveries", String(info.deliveries),
    "failed_at", String(Date.now())
  ]
  if (entry.fields.length > MAX_COPIED_VALUES) {
    fields.push("original_fields", String(entry.fields.length / 2), "original_packed", packFields(entry.fields))
  } else {
    for (let i = 0; i + 1 < entry.fields.length; i += 2) {
      fields.push(`field.${String(entry.fields[i])}`, entry.fields[i + 1]!)
    }
  }
  return { stream: deadLetterStream, fields }
}
