import * as contracts from '@pulse/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkConsumersAgainstHandlers, declaredHandlers, type DeclaredHandler } from './infra/event-handlers';
import { readPubSubTopology } from './infra/pubsub-topology';
import { listApps, paths, workspaceRoot } from './testing/deploy.int-kit';

// deploy/pubsub-consumers.json is written by hand while the services' handlers change: this reads the
// handlers from the services' source (tools may not import apps) and compares.
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(file);
    return /\.ts$/.test(entry.name) && !/\.(spec|int-spec|int-kit)\.ts$/.test(entry.name) ? [file] : [];
  });
}

function topicOf(contract: string): string | undefined {
  const exported = (contracts as Record<string, unknown>)[contract] as { topic?: unknown } | undefined;
  return typeof exported?.topic === 'string' ? exported.topic : undefined;
}

describe('deploy/pubsub-consumers.json', () => {
  it("lists exactly the topics the services' @EventPattern handlers consume", () => {
    const handlers: Record<string, DeclaredHandler[]> = {};
    for (const app of listApps()) {
      handlers[app] = sourceFiles(path.join(workspaceRoot, 'apps', app, 'src')).flatMap((file) => declaredHandlers(readFileSync(file, 'utf8')));
    }
    expect(handlers['ingestion']?.map((h) => h.contract)).toContain('ingestionRequestedV1');
    expect(checkConsumersAgainstHandlers(readPubSubTopology(paths.pubsubConsumers), handlers, topicOf)).toEqual([]);
  });
});
