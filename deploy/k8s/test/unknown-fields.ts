import { join, sep } from 'path';
import * as ts from 'typescript';
import type { KubeObject } from './kustomize-renderer';

/**
 * Fields the Kubernetes API does not know (a misspelt `timeoutSecond`, a field in the wrong place).
 * The OpenAPI schemas that validate the objects allow any extra property, but `kubectl apply` asks the
 * API server for strict field validation, which refuses them. kubernetes-models' TypeScript interfaces
 * list every known field, so each object is type-checked as an object literal of its kind's interface,
 * where TypeScript reports every property the interface lacks.
 */
const INTERFACES: Record<string, [module: string, name: string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'ISecret'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'apps/v1/StatefulSet': ['kubernetes-models/apps/v1/StatefulSet', 'IStatefulSet'],
  'autoscaling/v2/HorizontalPodAutoscaler': [
    'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    'IHorizontalPodAutoscaler',
  ],
  'networking.k8s.io/v1/NetworkPolicy': [
    'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    'INetworkPolicy',
  ],
  'policy/v1/PodDisruptionBudget': [
    'kubernetes-models/policy/v1/PodDisruptionBudget',
    'IPodDisruptionBudget',
  ],
};

/** For each object, the type errors of its fields ([] when every field is known and well typed). */
export function unknownFieldErrors(objects: KubeObject[]): string[] {
  // Never written: the compiler host below serves it from memory, beside this file for module resolution.
  const file = join(__dirname, 'manifests-as-literals.generated.ts').split(sep).join('/');
  const kinds = [...new Set(objects.map((object) => `${object.apiVersion}/${object.kind}`))];
  const lines = kinds.map((kind, index) => {
    const known = INTERFACES[kind];
    if (!known) throw new Error(`${kind}: no interface to check its fields against`);
    return `import type { ${known[1]} as T${index} } from '${known[0]}';`;
  });
  const header = lines.length;
  const owners: string[] = [];
  objects.forEach((object, index) => {
    const type = `T${kinds.indexOf(`${object.apiVersion}/${object.kind}`)}`;
    lines.push(`export const o${index}: ${type} = ${JSON.stringify(object)};`);
    owners.push(`${object.kind}/${object.metadata.name}`);
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (name: string) =>
      name === file || exists(name)
  )(host.fileExists.bind(host));
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) return message;
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
    return `${owners[line - header] ?? 'imports'}: ${message}`;
  });
}
