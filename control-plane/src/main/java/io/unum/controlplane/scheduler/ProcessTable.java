package io.unum.controlplane.scheduler;

import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.etcd.EtcdTable;
import java.util.List;

/** What the scheduler reads of the process table (kept by the process package). */
public interface ProcessTable {
    /** Every record, by gpid. */
    List<ProcessInfo> list();

    /** Told about every record the etcd watch reports changed, by zero-padded gpid. */
    void addListener(EtcdTable.Listener<ProcessInfo> listener);
}
