package io.unum.controlplane.fs;

import io.quarkus.runtime.StartupEvent;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** Makes the tree's root at start; without etcd then, the first call or the leader's repair makes it. */
@ApplicationScoped
public class FsStartup {
    private static final Logger LOG = Logger.getLogger(FsStartup.class);

    void start(@Observes StartupEvent event, FsTree tree) {
        try {
            tree.ensureRoot();
        } catch (EtcdUnavailableException e) {
            LOG.warnf("cannot make the file system's root now (%s); it is made when etcd answers", e.getMessage());
        }
    }
}
