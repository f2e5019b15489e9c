package io.unum.controlplane.etcd;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** A replica without etcd cannot answer anything truthfully, so it is not ready. */
@Readiness
@ApplicationScoped
public class EtcdHealthCheck implements HealthCheck {
    private final Etcd etcd;

    public EtcdHealthCheck(Etcd etcd) {
        this.etcd = etcd;
    }

    @Override
    public HealthCheckResponse call() {
        try {
            etcd.get(etcd.key("gpid/next"));
            return HealthCheckResponse.up("etcd");
        } catch (EtcdUnavailableException e) {
            return HealthCheckResponse.named("etcd").down().withData("error", e.getMessage()).build();
        }
    }
}
