package io.unum.controlplane;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.InstantSource;

/** The one clock the control plane reads wall time from; unit tests hand classes a fake instead. */
@ApplicationScoped
public class ClockProducer {
    @Produces
    @ApplicationScoped
    InstantSource clock() {
        return InstantSource.system();
    }
}
