// The filter bar every documentation and tenant list shows above its table: a search box, any
// further filters, the submit button and the CSV export of the same filters (docs/export.ts).
import { html, type SafeHtml } from '../html.ts';
import { csvHref } from '../../docs/export.ts';

export interface SearchFiltersOptions {
  /** The search input's id (unique in the page). */
  id: string;
  value: string | undefined;
  placeholder: string;
  button: 'Search' | 'Filter';
  /** The list's path and the filters its CSV export repeats. */
  csv: { path: string; query: Record<string, string | undefined> };
  /** Further filters, between the search box and the button. */
  extra?: SafeHtml;
}

export function searchFilters(options: SearchFiltersOptions): SafeHtml {
  return html`<form class="filters" method="get" role="search">
    <div>
      <label for="${options.id}">Search</label
      ><input
        id="${options.id}"
        name="search"
        type="search"
        value="${options.value ?? ''}"
        maxlength="200"
        placeholder="${options.placeholder}"
      />
    </div>
    ${options.extra ?? ''}
    <div><button type="submit">${options.button}</button></div>
    <div><a href="${csvHref(options.csv.path, options.csv.query)}">Export as CSV</a></div>
  </form>`;
}
