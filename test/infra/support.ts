/**
 * Synthesises the real app (lib/app.ts, with cdk.json's context as `cdk synth` would see it)
 * without bundling, and reads it back in terms a reviewer can check: which actions each
 * function's role may take on which stateful resource, and what its environment names.
 *
 * References into the stateful stack are rendered by construct id: `Emis.Arn`,
 * `Emis.Arn/index/*`, `ExportsBucket.Arn/exports/*`, and an env var carrying a table name reads
 * `Emis`. Resources inside the API stack render as `local:<logicalId>[.Attr]`, pseudo parameters
 * as `${AWS::Partition}`.
 */
import { readFileSync } from 'node:fs';
import { App, CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type AppStacks, buildApp } from '../../lib/app';

type Json = unknown;
interface CfnResourceJson {
  Type: string;
  Properties: Record<string, Json>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
interface StatementJson {
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

export interface Synthesized extends AppStacks {
  statefulTemplate: Template;
  apiTemplate: Template;
  /** the logical id of a construct (or of its default child) in its own stack's template */
  logicalIdOf(construct: IConstruct): string;
  /** the Lambda function resource's properties */
  functionProps(id: string): Record<string, Json>;
  /** every action the function's role may take, sorted and deduplicated */
  actionsOf(id: string): string[];
  /** resource (rendered) -> sorted actions, over all Allow statements of the function's role */
  permissionsOf(id: string): Record<string, string[]>;
  /** environment variables with references rendered */
  envOf(id: string): Record<string, string>;
  render(value: Json): string;
}

export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const app = new App({
    // no bundling: templates are the same, and handlers need not exist (lib/function.ts)
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stacks = buildApp(app, { region: 'ap-south-1' });
  const statefulTemplate = Template.fromStack(stacks.stateful);
  const apiTemplate = Template.fromStack(stacks.api);
  const apiResources = apiTemplate.toJSON()['Resources'] as Record<string, CfnResourceJson>;

  const statefulNames = statefulConstructNames(stacks.stateful);

  const render = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(render).join(',');
    if (value && typeof value === 'object') {
      const [key, arg] = Object.entries(value)[0] ?? [];
      if (key === 'Fn::ImportValue' && typeof arg === 'string') return renderExport(arg, statefulNames);
      if (key === 'Fn::Join' && Array.isArray(arg)) {
        const [sep, parts] = arg as [string, Json[]];
        return parts.map(render).join(sep);
      }
      if (key === 'Ref' && typeof arg === 'string')
        return arg.startsWith('AWS::') ? `\${${arg}}` : `local:${arg}`;
      if (key === 'Fn::GetAtt' && Array.isArray(arg)) return `local:${arg[0]}.${arg[1]}`;
    }
    return JSON.stringify(value);
  };

  const functionLogicalId = (id: string): string => {
    const fn = stacks.api.functions.get(id);
    if (!fn) throw new Error(`No function ${id} in the API stack`);
    return stacks.api.getLogicalId(fn.node.defaultChild as CfnResource);
  };

  const functionProps = (id: string): Record<string, Json> => {
    const resource = apiResources[functionLogicalId(id)];
    if (!resource?.Properties) throw new Error(`No template resource for function ${id}`);
    return resource.Properties;
  };

  const statementsOf = (id: string): StatementJson[] => {
    // the role is whatever the function's `Role: Fn::GetAtt [<role>, Arn]` points at
    const role = (functionProps(id)['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(apiResources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) =>
        (r.Properties['Roles'] as Json[]).some((ref) => JSON.stringify(ref) === `{"Ref":"${role}"}`),
      )
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: StatementJson[] }).Statement);
  };

  const permissionsOf = (id: string): Record<string, string[]> => {
    const byResource: Record<string, Set<string>> = {};
    for (const statement of statementsOf(id)) {
      if (statement.Effect !== 'Allow') throw new Error(`Unexpected ${statement.Effect} statement for ${id}`);
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const key = render(resource);
        byResource[key] = new Set([...(byResource[key] ?? []), ...[statement.Action].flat()]);
      }
    }
    return Object.fromEntries(
      Object.entries(byResource)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([resource, actions]) => [resource, [...actions].sort()]),
    );
  };

  return {
    ...stacks,
    statefulTemplate,
    apiTemplate,
    logicalIdOf: (construct) => {
      const resource =
        construct instanceof CfnResource ? construct : (construct.node.defaultChild as CfnResource);
      return resource.stack.getLogicalId(resource);
    },
    functionProps,
    actionsOf: (id) => [...new Set(statementsOf(id).flatMap((s) => [s.Action].flat()))].sort(),
    permissionsOf,
    envOf: (id) => {
      const vars = (functionProps(id)['Environment'] as { Variables: Record<string, Json> }).Variables;
      return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, render(v)]));
    },
    render,
  };
}

/** logical id -> construct id for every resource of the stateful stack (`EmisAB8614AF` -> `Emis`). */
function statefulConstructNames(stack: Stack): Map<string, string> {
  const names = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof CfnResource)) continue;
    const owner = construct.node.id === 'Resource' ? construct.node.scope : construct;
    names.set(stack.getLogicalId(construct), owner?.node.id ?? construct.node.id);
  }
  return names;
}

/**
 * `EmiLinks-dev-Stateful:ExportsOutputFnGetAttEmisAB8614AFArnB9BF1114` -> `Emis.Arn`,
 * `…:ExportsOutputRefEmisAB8614AF070865A8` -> `Emis`.
 */
function renderExport(exportName: string, names: Map<string, string>): string {
  const output = exportName.slice(exportName.indexOf(':') + 1);
  let best: [string, string] | undefined;
  for (const [logicalId, name] of names) {
    if (output.includes(logicalId) && (!best || logicalId.length > best[0].length)) best = [logicalId, name];
  }
  if (!best) return `import:${output}`;
  const [logicalId, name] = best;
  if (output.startsWith(`ExportsOutputRef${logicalId}`)) return name;
  const attribute = output.slice(`ExportsOutputFnGetAtt${logicalId}`.length, -8);
  return `${name}.${attribute}`;
}
