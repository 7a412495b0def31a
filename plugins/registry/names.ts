/**
 * How swamp extension names and versions map onto npm package names and versions. The one
 * place for this mapping: push, search, info, pull and the lockfile all go through it.
 *
 * - Names: `@collective/name[/sub…]`. npm allows one `/`, so nested segments are joined with
 *   `.` (`@swamp/aws/ec2` ↔ `@swamp/aws.ec2`). Swamp names never contain `.`, so the mapping
 *   is one-to-one and reversible.
 * - Versions: CalVer `YYYY.MM.DD.MICRO` ↔ SemVer `YYYY.MMDD.MICRO` (`2026.08.12.1` ↔
 *   `2026.812.1`). SemVer forbids leading zeros and a fourth part; month×100+day keeps the order.
 */
import { SwampError } from "../../kernel/contract/errors.js";
import { collectiveOf } from "../../kernel/contract/plugin.js";
import { RegistryErrorCode } from "./errors.js";

/** `@collective/name`, extra `/segments` allowed; lowercase letters, digits, `-` and `_`. */
export const EXTENSION_NAME = /^@[a-z0-9_-]+\/[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;
export const NAME_RULE =
  "Extension name must be scoped: @collective/name (lowercase, alphanumeric, hyphens, underscores, additional /segments allowed)";

const NPM_NAME = /^@[a-z0-9_-]+\/[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
const CALVER = /^(\d{4})\.(\d{2})\.(\d{2})\.(0|[1-9]\d*)$/;
const SEMVER = /^(\d{4})\.([1-9]\d{2,3})\.(0|[1-9]\d*)$/;
export const CALVER_RULE = "Version must be valid CalVer format: YYYY.MM.DD.MICRO (MICRO without leading zeros)";

export function isExtensionName(name: string): boolean {
  return EXTENSION_NAME.test(name);
}

/** `swamp` for `@swamp/aws/ec2`. */
export function extensionCollective(name: string): string {
  return collectiveOf(name);
}

/** `@swamp/aws/ec2` → `@swamp/aws.ec2`. */
export function toNpmName(name: string): string {
  if (!isExtensionName(name)) throw new SwampError(RegistryErrorCode.nameInvalid, `${NAME_RULE}: ${name}`);
  const [scope, ...rest] = name.split("/");
  return `${scope}/${rest.join(".")}`;
}

/** `@swamp/aws.ec2` → `@swamp/aws/ec2`; null for a package name that is not a swamp extension's. */
export function fromNpmName(npmName: string): string | null {
  if (!NPM_NAME.test(npmName)) return null;
  const [scope, rest] = npmName.split("/") as [string, string];
  return `${scope}/${rest.split(".").join("/")}`;
}

/** The registry path segment for a package: `@scope%2fname`, as npm requests it. */
export function npmPathName(npmName: string): string {
  return npmName.startsWith("@") ? `@${encodeURIComponent(npmName.slice(1))}` : encodeURIComponent(npmName);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True for a CalVer version whose month and day exist. */
export function isCalVer(version: string): boolean {
  const m = CALVER.exec(version);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** `2026.08.12.1` → `2026.812.1`. */
export function calVerToSemVer(version: string): string {
  if (!isCalVer(version)) throw new SwampError(RegistryErrorCode.versionInvalid, `${CALVER_RULE}: ${version}`);
  const [y, mo, d, micro] = version.split(".") as [string, string, string, string];
  return `${y}.${Number(mo) * 100 + Number(d)}.${micro}`;
}

/** `2026.812.1` → `2026.08.12.1`; null for a version that no CalVer maps to. */
export function semVerToCalVer(version: string): string | null {
  const m = SEMVER.exec(version);
  if (!m) return null;
  const mmdd = Number(m[2]);
  const calver = `${m[1]}.${String(Math.floor(mmdd / 100)).padStart(2, "0")}.${String(mmdd % 100).padStart(2, "0")}.${m[3]}`;
  return isCalVer(calver) ? calver : null;
}

/** Orders CalVer versions: date first, then MICRO numerically. */
export function compareCalVer(a: string, b: string): number {
  const [ay, am, ad, amicro] = a.split(".").map(Number) as [number, number, number, number];
  const [by, bm, bd, bmicro] = b.split(".").map(Number) as [number, number, number, number];
  return ay - by || am - bm || ad - bd || amicro - bmicro;
}

export interface ExtensionRef {
  name: string;
  version?: string;
}

/** `@collective/name[@version]` as typed on the command line. */
export function parseExtensionRef(ref: string): ExtensionRef {
  const at = ref.indexOf("@", 1);
  const name = at === -1 ? ref : ref.slice(0, at);
  const version = at === -1 ? undefined : ref.slice(at + 1);
  if (!isExtensionName(name)) throw new SwampError(RegistryErrorCode.nameInvalid, `${NAME_RULE}: ${name}`);
  if (version !== undefined && !isCalVer(version)) {
    throw new SwampError(RegistryErrorCode.versionInvalid, `${CALVER_RULE}: ${version}`);
  }
  return version === undefined ? { name } : { name, version };
}
