import type { DynamicModule, Type } from '@nestjs/common';
import { GLOBAL_MODULE_METADATA, MODULE_METADATA } from '@nestjs/common/constants.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../test/support/unit.js';
import { AppModule } from './app.module.js';
import { CliServicesModule } from './cli/cli-services.module.js';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const README = readFileSync(path.join(SRC, '..', 'README.md'), 'utf8');

/** Every product source file (no specs), relative to src/. */
function sourceFiles(dir = ''): string[] {
  return readdirSync(path.join(SRC, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') && !file.endsWith('.spec.ts') ? [file] : [];
  });
}

/** The top folder of a file under src/ (`auth`, `common`, …), or `.` for the entry points. */
const folderOf = (file: string) => (file.includes(path.sep) ? file.split(path.sep)[0] : '.');

/** Which folders each folder imports from. */
function folderImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const from = folderOf(file);
    const text = readFileSync(path.join(SRC, file), 'utf8');
    for (const [, specifier] of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier));
      const to = folderOf(target);
      if (to !== from && !target.startsWith('..')) {
        graph.set(from, (graph.get(from) ?? new Set()).add(to));
      }
    }
  }
  return graph;
}

/** A cycle in `graph`, as the folders on it, or `null`. */
function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const done = new Set<string>();
  const visit = (node: string, trail: string[]): string[] | null => {
    if (trail.includes(node)) return [...trail.slice(trail.indexOf(node)), node];
    if (done.has(node)) return null;
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...trail, node]);
      if (cycle) return cycle;
    }
    done.add(node);
    return null;
  };
  return [...graph.keys()].map((node) => visit(node, [])).find(Boolean) ?? null;
}

type ModuleRef = Type | DynamicModule;
const classOf = (ref: ModuleRef): Type => ('module' in ref ? ref.module : ref);

/** The Nest modules of our own: `exported` ones, and the ones a module keeps to itself. */
function ownModules(): { exported: Set<string>; internal: Set<string> } {
  const exported = new Set<string>();
  const internal = new Set<string>();
  for (const file of sourceFiles()) {
    const text = readFileSync(path.join(SRC, file), 'utf8');
    for (const [, isExported, name] of text.matchAll(/^(export )?class (\w+Module)\b/gm)) {
      (isExported ? exported : internal).add(name);
    }
  }
  return { exported, internal };
}

const OWN = ownModules();

/** What `ref` imports; a module's internal modules count as the module itself. */
function importsOf(ref: ModuleRef): ModuleRef[] {
  const type = classOf(ref);
  const imports: ModuleRef[] = [
    ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleRef[]) ?? []),
    ...('module' in ref ? ((ref.imports as ModuleRef[]) ?? []) : []),
  ];
  return imports.flatMap((entry) =>
    OWN.internal.has(classOf(entry).name) ? importsOf(entry) : [entry],
  );
}

/** The imports between our own modules, from the `roots` down, and which of them are global. */
function moduleGraph(...roots: ModuleRef[]): { edges: string[]; globals: string[] } {
  const edges = new Set<string>();
  const globals = new Set<string>();
  const queue = [...roots];
  for (let ref = queue.shift(); ref; ref = queue.shift()) {
    const type = classOf(ref);
    if (Reflect.getMetadata(GLOBAL_MODULE_METADATA, type)) globals.add(type.name);
    for (const imported of importsOf(ref)) {
      if (!OWN.exported.has(classOf(imported).name)) continue;
      const edge = `${type.name} --> ${classOf(imported).name}`;
      if (!edges.has(edge)) queue.push(imported);
      edges.add(edge);
    }
  }
  return { edges: [...edges].sort(), globals: [...globals].sort() };
}

describe('architecture', () => {
  it('has no import cycle between the folders of src/', () => {
    expect(findCycle(folderImports())).toBeNull();
  });

  it('keeps common/ free of every other folder, and config/ of all but common/', () => {
    const graph = folderImports();

    expect([...(graph.get('common') ?? [])]).toEqual([]);
    expect([...(graph.get('config') ?? [])]).toEqual(['common']);
  });

  it('has exactly the module graph the README draws, and only config, the clock and the logger global', () => {
    const drawn = [...README.matchAll(/^ {2}(\w+Module) --> (\w+Module)$/gm)].map(
      ([, from, to]) => `${from} --> ${to}`,
    );
    // The two roots: the server's app, and the services the CLI boots for a command.
    const { edges, globals } = moduleGraph(
      AppModule.forRoot(testConfig()),
      CliServicesModule.forRoot(testConfig()),
    );

    const global = /--> (ClockModule|ConfigModule|LoggingModule)$/;
    expect(globals).toEqual(['ClockModule', 'ConfigModule', 'LoggingModule']);
    expect(edges.filter((edge) => !global.test(edge))).toEqual(drawn.sort());
    expect(edges.filter((edge) => global.test(edge))).toEqual([
      'AppModule --> ClockModule',
      'AppModule --> ConfigModule',
      'AppModule --> LoggingModule',
      'CliServicesModule --> ClockModule',
      'CliServicesModule --> ConfigModule',
      'CliServicesModule --> LoggingModule',
    ]);
  });
});
