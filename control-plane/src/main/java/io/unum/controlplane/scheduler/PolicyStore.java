package io.unum.controlplane.scheduler;

import io.quarkus.runtime.Startup;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerPolicy;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The active policy, {@code /unum/scheduler/policy}. Every replica holds it through an etcd
 * watch, so a change written through any replica is applied by all of them as soon as the watch
 * delivers it (milliseconds), without a restart. A cluster where nobody set a policy runs
 * {@link SchedulerPolicy#DEFAULT}. A policy is validated completely before it is written, so
 * the record is never half-valid.
 */
@Startup
@ApplicationScoped
public class PolicyStore {
    private static final Logger LOG = Logger.getLogger(PolicyStore.class);

    /** The table is the one key: a prefix watch on it, and no other key starts with "scheduler/policy". */
    private static final String ID = "";

    private final EventLog events;
    private final InstantSource clock;
    private final EtcdTable<SchedulerPolicy> record;

    public PolicyStore(EtcdTables tables, EventLog events, InstantSource clock) {
        this.clock = clock;
        this.events = events;
        this.record = tables.json("scheduler/policy", SchedulerPolicy.class);
    }

    @PostConstruct
    void start() {
        record.addListener((id, oldValue, newValue) -> {
            if (id.equals(ID)) {
                LOG.infof("scheduler policy is now %s", describe(current()));
            }
        });
    }

    /** The policy in force on this replica. */
    public Policy current() {
        return stored().map(Policy::of).orElse(Policy.DEFAULT);
    }

    /** The policy as shown to clients, with who changed it last. */
    public SchedulerPolicy currentModel() {
        Optional<SchedulerPolicy> stored = stored();
        SchedulerPolicy shown = current().toModel();
        return stored.map(s -> shown.stamped(s.updatedAt(), s.updatedBy())).orElse(shown);
    }

    /**
     * Validates and writes a new policy.
     *
     * @throws io.unum.controlplane.error.UnumException for a bad policy; nothing is written then
     */
    public SchedulerPolicy set(SchedulerPolicy requested, String by) {
        Policy before = current();
        Policy policy = Policy.of(requested);
        SchedulerPolicy stored = policy.toModel().stamped(clock.instant(), by);
        record.put(ID, stored);
        events.publish(SchedulerEvent.Type.POLICY_CHANGED, null, null, null, policy.placement().label() + "/"
                + policy.balancing().label(), "set by " + by + ": " + describe(policy) + " (was " + describe(before) + ")");
        return stored;
    }

    private Optional<SchedulerPolicy> stored() {
        return record.get(ID).map(Versioned::value);
    }

    static String describe(Policy p) {
        return "placement " + p.placement().label() + ", balancing " + p.balancing().label()
                + " (threshold " + p.loadThreshold() + ", min free " + (p.minFreeMemoryBytes() >> 20) + " MiB, min interval "
                + p.minInterval().toMillis() / 1000.0 + " s, probe period " + p.probePeriod().toMillis() / 1000.0 + " s)";
    }
}
