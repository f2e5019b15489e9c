package io.unum.controlplane.etcd;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;

@ConfigMapping(prefix = "unum.etcd")
public interface EtcdConfig {
    /** etcd client URLs, e.g. http://127.0.0.1:2379. */
    List<String> endpoints();

    /** How long one etcd call may take before the API answers 503. */
    @WithDefault("5s")
    Duration timeout();

    /** Key prefix under which Unum keeps everything. */
    @WithDefault("/unum/")
    String prefix();
}
