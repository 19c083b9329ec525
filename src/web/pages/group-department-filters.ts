// The "Group" and "Department" selects of a user or contact list's filter bar (issue 17: every
// user list and report filters by group and department), placed inside searchFilters' `extra`;
// their query parameters are in src/web/group-department-query.ts. A group's users include nested
// groups' users.
import { html, type SafeHtml } from '../html.ts';

export interface GroupOption {
  /** The value sent: the group's id. */
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
