// The `group` and `department` query parameters of user and contact lists (issue 17: every user
// list and report filters by group and department), for pages and the JSON API alike. An empty
// value (a form's "any") means no filter.
import { Type } from '@sinclair/typebox';

export const GroupDepartmentQuery = {
  group: Type.Optional(Type.String({ maxLength: 64, description: "A group's id: its users, nested groups' users included" })),
  department: Type.Optional(Type.String({ maxLength: 200, description: 'Users whose department is exactly this' })),
};

/** The filters a query asks for, with empty values dropped. */
export function groupDepartmentFilter(query: { group?: string; department?: string; search?: string }): {
  group?: string;
  department?: string;
  search?: string;
} {
  return { group: query.group || undefined, department: query.department || undefined, search: query.search || undefined };
}
