package dev.veilraft.consensus;

import com.google.protobuf.CodedOutputStream;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.GroupResult;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.seal.EpochSecretsErasedException;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What apply answers for an entry, or for one client event of a grouped entry. A client event's
 * answer is sealed under its response key only when it is read ({@link #result}): every replica
 * applies the event, but only the leader replies to the proposer (or, after a change of leader, a
 * member whose retry cache a resent request finds), so a follower does not derive response keys or
 * seal. Sealing is deterministic (the nonce is the entry's index and the event's position), so it
 * gives the same bytes whenever and on whichever replica it runs; the serialized size, which a
 * group's answer limit counts during apply, is known without sealing.
 *
 * <p>Until it is sealed, an answer holds its event's plaintext result and what derives its response
 * key; a follower holds its answers in Ratis' retry cache until their proposer names the call as
 * replied in a later entry (the state machine then releases them) or the cache expires them.
 * Thread-safe.
 */
public abstract class Answer {
  private static final Logger LOG = LoggerFactory.getLogger(Answer.class);

  private Answer() {}

  /** The answer as Ratis returns it to the proposer: sealed now if it was not yet. */
  public abstract ApplyResult result();

  /** {@link #result}'s serialized size, without sealing. */
  abstract int serializedSize();

  /** Whether every client event's answer in it is sealed (tests). */
  public abstract boolean sealed();

  /**
   * {@link #result}, or, should sealing fail (only a bug can make it: a key of the wrong length, a
   * missing cipher), an {@code ANSWER_UNSEALABLE} error for the proposer: never an exception on the
   * Ratis or gRPC thread that reads it. The entry stays applied; a retry finds its recorded result.
   * (An answer read after its epoch's secrets were erased is no failure: {@link #result} is then
   * that event's {@code EPOCH_ERASED} error.)
   */
  public final ApplyResult resultOrRefusal() {
    try {
      return result();
    } catch (RuntimeException e) {
      LOG.error("an applied entry's answer could not be sealed ({}); its proposer gets ANSWER_UNSEALABLE",
          e.getClass().getName());
      return Replica.error("ANSWER_UNSEALABLE", "the entry was applied but its answer could not be sealed ("
          + e.getClass().getName() + "); ask again");
    }
  }

  /** An answer that needs no sealing: an error, a membership decision. */
  static Answer of(ApplyResult result) {
    return new Ready(result);
  }

  /**
   * The answer {@code response} (an {@code EventResult}, encoded) to the client event at {@code
   * position} of the entry at {@code index}, to be sealed under {@code responseKey} in {@code epoch}.
   */
  public static Answer sealedWhenRead(Supplier<byte[]> responseKey, long epoch, long index, int position, byte[] response) {
    return new SealedWhenRead(responseKey, epoch, index, position, response);
  }

  /** The answers of a grouped entry's events, in order. */
  public static Answer group(List<Answer> answers) {
    return new Group(answers);
  }

  private static final class Ready extends Answer {
    private final ApplyResult result;

    Ready(ApplyResult result) {
      this.result = result;
    }

    @Override
    public ApplyResult result() {
      return result;
    }

    @Override
    int serializedSize() {
      return result.getSerializedSize();
    }

    @Override
    public boolean sealed() {
      return true;
    }
  }

  private static final class SealedWhenRead extends Answer {
    private Supplier<byte[]> responseKey;
    private final long epoch;
    private final long index;
    private final int position;
    private byte[] response;
    private ApplyResult result;

    SealedWhenRead(Supplier<byte[]> responseKey, long epoch, long index, int position, byte[] response) {
      this.responseKey = responseKey;
      this.epoch = epoch;
      this.index = index;
      this.position = position;
      this.response = response;
    }

    /**
     * The sealed answer; once this replica erased the epoch's secrets before it was sealed (a retry
     * cache's answer to a request resent long after a change of leader), an {@code EPOCH_ERASED}
     * error instead, for good: the key can no longer be derived, and the plaintext is dropped.
     */
    @Override
    public synchronized ApplyResult result() {
      if (result == null) {
        try {
          result = ApplyResult.newBuilder()
              .setSealedResponse(EventSealing.sealResponse(responseKey.get(), epoch, index, position, response))
              .build();
        } catch (EpochSecretsErasedException e) {
          LOG.info("the answer at index {} position {} was read after epoch {}'s secrets were erased; its proposer "
              + "gets EPOCH_ERASED", index, position, e.epoch());
          result = Replica.error("EPOCH_ERASED", "the event was applied (its effect stands), but this replica erased "
              + "epoch " + e.epoch() + "'s secrets before its answer was read, so the answer cannot be sealed");
        }
        // Sealed (or refused): the plaintext and the key's source are no longer needed.
        responseKey = null;
        response = null;
      }
      return result;
    }

    @Override
    synchronized int serializedSize() {
      return result != null ? result.getSerializedSize() : ApplyResult.newBuilder()
          .setSealedResponse(EventSealing.sealedResponseShape(epoch, index, position, response.length))
          .build().getSerializedSize();
    }

    @Override
    public synchronized boolean sealed() {
      return result != null;
    }
  }

  private static final class Group extends Answer {
    private final List<Answer> answers;
    private ApplyResult result;

    Group(List<Answer> answers) {
      this.answers = List.copyOf(answers);
    }

    @Override
    public synchronized ApplyResult result() {
      if (result == null) {
        GroupResult.Builder group = GroupResult.newBuilder();
        for (Answer answer : answers) {
          group.addResults(answer.result());
        }
        result = ApplyResult.newBuilder().setGroup(group).build();
      }
      return result;
    }

    /** The size of the group's result, from its answers' sizes: nothing is sealed to learn it. */
    @Override
    int serializedSize() {
      int groupBytes = 0;
      for (Answer answer : answers) {
        groupBytes += embedded(GroupResult.RESULTS_FIELD_NUMBER, answer.serializedSize());
      }
      return embedded(ApplyResult.GROUP_FIELD_NUMBER, groupBytes);
    }

    /** Bytes of a message of {@code bytes} bytes as field {@code field} of another. */
    private static int embedded(int field, int bytes) {
      return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(bytes) + bytes;
    }

    @Override
    public boolean sealed() {
      return answers.stream().allMatch(Answer::sealed);
    }
  }
}
