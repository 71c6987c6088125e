package dev.veilraft.simulator.workload;

import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.history.HistoryRecorder;

/**
 * What a workload runs against: the cluster, the history to record into, the run's seed and the
 * number of concurrent clients.
 */
public record WorkloadContext(SimCluster cluster, ClientFactory clients, HistoryRecorder history, long seed,
    int concurrency) {}
