// The integration page's "Microsoft setup" section: the redirect URI to register on the app (the
// one the connect flow sends, src/web/connect.ts), and what docsync needs from Microsoft — the
// delegated Graph permissions and the GDAP roles, from the one place they are defined
// (src/microsoft/scopes.ts; the README's tables quote it).
import { html, type SafeHtml } from '../html.ts';
import { GDAP_ROLE_NEEDS, GRAPH_APPLICATION_PERMISSIONS, GRAPH_DELEGATED_SCOPES, ENTRA_ROLES } from '../../microsoft/scopes.ts';

const ROLE_NAMES = new Map<string, string>(Object.values(ENTRA_ROLES).map((role) => [role.id, role.name]));

export function integrationSetupSection(options: { kind: string; redirectUri: string }): SafeHtml {
  const appOnly = options.kind === 'direct_app';
  return html`<h2 id="microsoft-setup">Microsoft setup</h2>
    ${
      appOnly
        ? html`<p>This integration signs in as the application itself (client credentials): no redirect URI is used.</p>`
        : html`<p>
            <label for="redirect-uri"
              >Redirect URI to register on the app (Entra admin center → App registrations → Authentication → Web)</label
            ><input id="redirect-uri" type="text" readonly value="${options.redirectUri}" size="60" />
          </p>`
    }
    <h3>${appOnly ? 'Application permissions' : 'Delegated permissions'} (Microsoft Graph, admin consent)</h3>
    <div class="table-scroll" role="region" aria-label="Permissions docsync needs" tabindex="0">
      <table>
        <caption class="visually-hidden">
          Permissions docsync needs and what for
        </caption>
        <thead>
          <tr>
            <th scope="col">Permission</th>
            <th scope="col">What docsync reads with it</th>
          </tr>
        </thead>
        <tbody>
          ${GRAPH_DELEGATED_SCOPES.filter((need) => !appOnly || GRAPH_APPLICATION_PERMISSIONS.includes(need.scope)).map(
            (need) =>
              html`<tr>
                <td><code>${need.scope}</code></td>
                <td>${need.feature}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${
      options.kind === 'gdap'
        ? html`<h3>GDAP roles (in each customer relationship's access assignment for docsync's security group)</h3>
            <div class="table-scroll" role="region" aria-label="GDAP roles docsync needs" tabindex="0">
              <table>
                <caption class="visually-hidden">
                  GDAP roles docsync needs per capability
                </caption>
                <thead>
                  <tr>
                    <th scope="col">For</th>
                    <th scope="col">Recommended role</th>
                    <th scope="col">Any of these also works</th>
                  </tr>
                </thead>
                <tbody>
                  ${GDAP_ROLE_NEEDS.map(
                    (need) =>
                      html`<tr>
                        <td>${need.feature}</td>
                        <td>${need.recommended}</td>
                        <td>${need.anyOf.map((id) => ROLE_NAMES.get(id) ?? id).join(', ')}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : ''
    }`;
}
