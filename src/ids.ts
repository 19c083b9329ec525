// Microsoft's ids (tenant, application, object ids) and docsync's own row ids are GUIDs of one
// form: 8-4-4-4-12 hexadecimal digits, either case.
export const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const GUID = new RegExp(GUID_PATTERN);
