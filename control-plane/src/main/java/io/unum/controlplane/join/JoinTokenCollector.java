package io.unum.controlplane.join;

import io.quarkus.scheduler.Scheduled;
import io.unum.controlplane.leader.Leadership;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** On the leader: deletes expired join tokens (they are refused anyway; this keeps etcd and the list clean). */
@ApplicationScoped
public class JoinTokenCollector {
    private static final Logger LOG = Logger.getLogger(JoinTokenCollector.class);

    private final JoinTokens tokens;
    private final Leadership leadership;

    public JoinTokenCollector(JoinTokens tokens, Leadership leadership) {
        this.tokens = tokens;
        this.leadership = leadership;
    }

    @Scheduled(every = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void collect() {
        try {
            if (leadership.isLeader()) {
                int n = tokens.collectExpired();
                if (n > 0) {
                    LOG.infof("deleted %d expired join token(s)", n);
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("collecting expired join tokens failed: %s", e.getMessage());
        }
    }
}
