/**
 * How every YAML file swamp writes is serialized. swamp's own reader (YAML 1.1 rules) turns a
 * plain `2026-01-02T03:04:05Z` into a date and `yes`/`on`/`n` into booleans, and its schemas
 * then reject the file; emitting with the 1.1 schema quotes every such string, so both
 * programs read back exactly what was written. Our reader (YAML 1.2 core) keeps plain
 * timestamps as strings, so files written either way load here.
 */
import { stringify } from "yaml";

export function toYaml(value: unknown): string {
  return stringify(value, { version: "1.1", lineWidth: 0 });
}
