// The "Group" and "Department" selects of a user or contact list's filter bar (issue 17: every
// user list and report filters by group and department), placed inside searchFilters' `extra`,
// and the query schema for the two parameters. A group's users include nested groups' users.
import { Type } from '@sinclair/typebox';
import { html, type SafeHtml } from '../html.ts';

export const GroupDepartmentQuery = {
  group: Type.Optional(Type.String({ maxLength: 64, description: "A group's id: its users, nested groups' users included" })),
  department: Type.Optional(Type.String({ maxLength: 200, description: 'Users whose department is exactly this' })),
};

export interface GroupOption {
  /** The value sent (a group id, or a tenant-qualified id where a list spans tenants). */
  value: string;
  label: string;
}

export function groupDepartmentFilters(options: {
  /** Prefix of the selects' ids (unique in the page). */
  id: string;
  groups: GroupOption[];
  departments: string[];
  group: string | undefined;
  department: string | undefined;
}): SafeHtml {
  return html`<div>
      <label for="${options.id}-group">Group</label
      ><select id="${options.id}-group" name="group">
        <option value="">any</option>
        ${options.groups.map(
          (g) => html`<option value="${g.value}" ${options.group === g.value ? html` selected` : ''}>${g.label}</option>`,
        )}
      </select>
    </div>
    <div>
      <label for="${options.id}-department">Department</label
      ><select id="${options.id}-department" name="department">
        <option value="">any</option>
        ${options.departments.map((d) => html`<option value="${d}" ${options.department === d ? html` selected` : ''}>${d}</option>`)}
      </select>
    </div>`;
}
