/**
 * Stable error codes of extension distribution (manifest, packing, the registry client).
 * Scripts match on these strings, so never rename one.
 */
export const RegistryErrorCode = {
  /** A name that is not `@collective/name[/sub…]`. */
  nameInvalid: "extension_name_invalid",
  /** A version that is not CalVer `YYYY.MM.DD.MICRO`. */
  versionInvalid: "extension_version_invalid",
  /** The manifest file does not exist. */
  manifestNotFound: "manifest_not_found",
  /** The manifest is not valid YAML or breaks a field rule. */
  manifestInvalid: "manifest_invalid",
  /** A file the manifest lists (or a local import of one) does not exist. */
  manifestFileMissing: "manifest_file_missing",
  /** A listed path is absolute, has `..`, or resolves (through a symlink) outside its base. */
  manifestPathUnsafe: "manifest_path_unsafe",
  /** A safety rule refused a file (hidden file, symlink, disallowed extension, eval, …). */
  extensionUnsafe: "extension_unsafe",
  /** The collective is reserved for swamp itself (`swamp`, `si`). */
  reservedCollective: "reserved_collective",
  /** The registry has no such extension (or version). */
  extensionNotFound: "extension_not_found",
  /** The version is already published. */
  versionExists: "extension_version_exists",
  /** The registry could not be reached (connection refused, DNS, timeout). */
  registryUnreachable: "registry_unreachable",
  /** The registry refused the credentials, or there were none (401/403). */
  registryAuthFailed: "registry_auth_failed",
  /** Any other answer from the registry that is not a success. */
  registryError: "registry_error",
  /** A downloaded tarball does not match the registry's `dist.integrity`. */
  integrityMismatch: "integrity_mismatch",
  /** A dependency (or an auto-resolved type) from a collective that `.swamp.yaml` does not trust. */
  collectiveUntrusted: "collective_untrusted",
} as const;
