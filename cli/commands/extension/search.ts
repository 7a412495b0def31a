import { Command, Option } from "clipanion";
import { resolve } from "node:path";
import { RegistryClient } from "../../../plugins/registry/client.js";
import { resolveRegistry } from "../../../plugins/registry/config.js";
import { EXTENSION_KEYWORD, summaryFromSearch } from "../../../plugins/registry/listing.js";
import { SwampCommand } from "../../base.js";
import { table } from "../../output.js";

export default class ExtensionSearchCommand extends SwampCommand {
  static override paths = [["extension", "search"]];
  static override usage = Command.Usage({
    description: "Search the npm-protocol registry for swamp extensions",
    details:
      "Sends the query as plain text to the registry's /-/v1/search and keeps the packages published by " +
      "'swamp extension push' (keyword swamp-extension). Without a query, lists extensions. Needs no repo.",
    examples: [["Find datastores", "swamp extension search datastore --json"]],
  });

  query = Option.String({ name: "query", required: false });
  size = Option.String("--size", "20", { description: "How many registry results to read (default 20)" });
  from = Option.String("--from", "0", { description: "Offset into the registry's results" });

  async run(): Promise<number> {
    const repoDir = resolve(this.resolvedRepoDir());
    const target = await resolveRegistry({ repoDir, env: process.env });
    const size = Math.max(1, Math.min(250, Number.parseInt(this.size, 10) || 20));
    const from = Math.max(0, Number.parseInt(this.from, 10) || 0);
    const result = await new RegistryClient(target).search(this.query?.trim() || EXTENSION_KEYWORD, { size, from });
    const extensions = result.objects.map(summaryFromSearch).filter((e) => e !== null);
    this.emit({ query: this.query ?? null, registry: target.url, extensions, meta: { total: extensions.length, registryTotal: result.total, from, size } }, () => {
      if (extensions.length === 0) return `No extensions found${this.query ? ` for "${this.query}"` : ""} in ${target.url}.`;
      return table([["NAME", "VERSION", "DESCRIPTION"], ...extensions.map((e) => [e.name, e.latestVersion ?? "?", e.description.split("\n")[0] ?? ""])]);
    });
    return 0;
  }
}
