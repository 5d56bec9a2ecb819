// One declaration per step: its inputs, outputs, types, defaults and descriptions.
// scripts/build.ts turns it into action.yml, task.json and the README tables;
// shared/platform/inputs.ts reads and validates inputs against it at run time.

export type InputType =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'number'
  | 'choice'
  | 'path'
  | 'multiline'
  /** An Azure DevOps AzureRM service connection (connectedService:AzureRM). */
  | 'azure-connection';

export interface InputDeclaration {
  /** Words in kebab-case; GitHub uses it as is, Azure DevOps in camelCase. */
  name: string;
  type: InputType;
  /** Short label for the Azure DevOps classic editor. */
  label: string;
  /** Markdown; first sentence stands alone (it is the action.yml description). */
  description: string;
  /** Default as the user would type it; omitted = no default. */
  default?: string;
  required?: boolean;
  /** For `choice`. */
  options?: readonly string[];
  /** Inclusive bounds for `integer` / `number`. */
  min?: number;
  max?: number;
  /** Classic-editor group (Azure DevOps `groups`). */
  group?: string;
  /** Azure DevOps classic editor: an editable dropdown filled from ARM through the service connection. */
  picker?: Picker;
  /** Secrets: masked as soon as they are read. */
  secret?: boolean;
  /** An input only one platform has (GitHub's client-id, Azure DevOps' service connection). */
  only?: 'github' | 'azure-devops';
}

/**
 * What a classic-editor dropdown lists, read from ARM through an AzureRM service connection. The other
 * fields name the inputs (kebab-case) whose values the list depends on.
 */
export interface Picker {
  resource: 'resource-groups' | 'workspaces' | 'computes' | 'online-endpoints' | 'models';
  /** The service-connection input; default `azure-subscription`. */
  connection?: string;
  /** The resource-group input; default `resource-group`. */
  resourceGroup?: string;
  /** The workspace input; default `workspace`. */
  workspace?: string;
}

export interface OutputDeclaration {
  name: string;
  description: string;
}

export interface GroupDeclaration {
  name: string;
  displayName: string;
  expanded?: boolean;
}

export interface StepDeclaration {
  /** Folder under actions/ and the word users see in `uses: …/mlops-actions/<id>@v1`. */
  id: string;
  title: string;
  description: string;
  branding: { icon: string; color: string };
  task: {
    /** Azure DevOps task name; the folder is `<name>V<major>`. */
    name: string;
    /** Fixed GUID: never change it once published. */
    guid: string;
    /**
     * Major version: the task folder is `<name>V<major>` and pipelines pin `<name>@<major>`. Minor and
     * patch come from package.json's version, so every release of the extension updates every task.
     */
    major: number;
    friendlyName: string;
    category: 'Build' | 'Utility' | 'Test' | 'Package' | 'Deploy';
    instanceNameFormat: string;
    /**
     * Azure DevOps execution handlers. Default: Node24 and Node20_1 with the same bundle. Steps that
     * bundle @azure/identity (Node ≥ 22) declare Node24 only.
     */
    handlers?: Array<'Node24' | 'Node20_1'>;
  };
  groups: GroupDeclaration[];
  inputs: InputDeclaration[];
  outputs: OutputDeclaration[];
}

/** `max-line-length` → `maxLineLength` (Azure DevOps spelling of the same words). */
export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function taskFolder(step: StepDeclaration): string {
  return `${step.task.name}V${step.task.major}`;
}
