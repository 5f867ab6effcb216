import { invalidArgument } from "../shared/errors.js";

/** The PVC/PV names the external-provisioner passes with `--extra-create-metadata`. */
export interface ProvisionerMetadata {
  pvcName?: string | undefined;
  pvcNamespace?: string | undefined;
  pvName?: string | undefined;
}

const VARIABLES: Record<string, keyof ProvisionerMetadata> = {
  PVCName: "pvcName",
  PVCNamespace: "pvcNamespace",
  PVName: "pvName",
};

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * Expands `{{ .PVCName }}`, `{{ .PVCNamespace }}` and `{{ .PVName }}` in a tag value. Anything
 * else between braces is refused rather than copied, so a typo never becomes a literal tag.
 */
export function expandTagTemplate(field: string, template: string, metadata: ProvisionerMetadata): string {
  return template.replace(PLACEHOLDER, (_match, expression: string) => {
    const variable = /^\.([A-Za-z]+)$/.exec(expression)?.[1];
    const key = variable === undefined ? undefined : VARIABLES[variable];
    if (key === undefined) {
      throw invalidArgument(
        `${field}: unknown template "{{ ${expression} }}" (use .PVCName, .PVCNamespace or .PVName)`,
      );
    }
    const value = metadata[key];
    if (value === undefined) {
      throw invalidArgument(
        `${field}: template .${variable} needs the provisioner's --extra-create-metadata, which was not passed`,
      );
    }
    return value;
  });
}
