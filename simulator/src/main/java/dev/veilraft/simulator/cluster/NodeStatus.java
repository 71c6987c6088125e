package dev.veilraft.simulator.cluster;

import java.util.List;
import java.util.Map;

/**
 * What one running node says about the cluster at one moment: the membership it applied and, when
 * the cluster mode can see it, its Raft configuration.
 *
 * @param epoch the key epoch it applied
 * @param keyIdHex the key id of that epoch (empty when the mode cannot see it)
 * @param members node ids in its member list
 * @param raftConfiguration node id to VOTER or LISTENER in its Raft configuration; empty when the
 *     mode cannot see it
 * @param heldEpochs epochs whose secret it holds (empty when the mode cannot see it)
 * @param appliedIndex the log index its state machine has applied
 * @param commitIndex the highest log index it knows to be committed (-1 before Raft runs)
 * @param raftAppliedIndex the last log index its state machine processed, entries that change no
 *     state included (-1 before Raft runs): caught up when it reaches the commit index
 * @param voters node ids its member list names voters
 * @param haltedOnDiskFailure its replica halted because its disk refused a write or read (a node
 *     process then ends, for its supervisor to restart it)
 */
public record NodeStatus(String nodeId, long epoch, String keyIdHex, boolean leader, List<String> members,
    Map<String, String> raftConfiguration, List<Long> heldEpochs, long appliedIndex, long commitIndex,
    long raftAppliedIndex, List<String> voters, boolean haltedOnDiskFailure) {}
