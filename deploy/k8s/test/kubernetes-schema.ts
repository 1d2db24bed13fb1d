import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { KubeObject } from './kustomize-renderer';

/**
 * The Kubernetes version the manifests are checked against: kubernetes-models 4.5.1 (pinned exactly in
 * package.json) is generated from the v1.33.0 OpenAPI document. Its schemas also carry API versions that
 * older releases removed, so the kinds below are listed with the one API version 1.33 serves for them:
 * an object under any other (say autoscaling/v2beta2) is refused before its schema is looked at.
 */
export const KUBERNETES_VERSION = '1.33';

interface Model {
  validate(): void;
}

const MODELS: Record<string, new (data: never) => Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Schema errors of one object ([] when valid), each naming the field. */
export function schemaErrors(object: KubeObject): string[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model)
    return [
      `${object.apiVersion} ${object.kind} is not a kind these manifests may use on Kubernetes ${KUBERNETES_VERSION}`,
    ];
  try {
    new Model(structuredClone(object) as never).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    return (
      details?.map((detail) => `${detail.instancePath || '/'} ${detail.message ?? ''}`) ?? [String(error)]
    );
  }
}
