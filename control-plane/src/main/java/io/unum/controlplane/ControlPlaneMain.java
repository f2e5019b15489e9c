package io.unum.controlplane;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts the control plane. Before Quarkus starts, it switches off the URI check of Quarkus's
 * root HTTP handler: that check answers a target {@code java.net.URI} cannot parse (such as
 * {@code //}) with a bare 400 and no body, ahead of every handler the application can install.
 * {@link io.unum.controlplane.error.HttpEdge} makes the same check first and answers it with a
 * problem+json that says what to fix. The property is read once, when Quarkus's HTTP recorder is
 * loaded, so it cannot be set in application.properties.
 */
@QuarkusMain
public final class ControlPlaneMain {
    private ControlPlaneMain() {
    }

    public static void main(String... args) {
        System.setProperty("vertx.disableURIValidation", "true");
        Quarkus.run(args);
    }
}
