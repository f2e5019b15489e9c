package io.unum.controlplane.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Turns a bearer token into an identity with the viewer or admin role. */
@ApplicationScoped
public class TokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {
    private final TokenAuthenticator tokens;

    public TokenIdentityProvider(TokenAuthenticator tokens) {
        this.tokens = tokens;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        Caller caller = tokens.callerOf(request.getToken().getToken()).orElse(null);
        Role role = caller == null ? null : caller.role();
        if (role == null || role == Role.AGENT) {
            return Uni.createFrom().failure(new AuthenticationFailedException("unknown token"));
        }
        QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(role.name().toLowerCase()))
                .addRole(Role.VIEWER_NAME)
                .addAttribute(Caller.class.getName(), caller);
        if (role == Role.ADMIN) {
            identity.addRole(Role.ADMIN_NAME);
        }
        return Uni.createFrom().item(identity.build());
    }
}
