package dev.veilraft.consensus.ratis;

import dev.veilraft.consensus.Answer;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * The reply Ratis gets for an applied entry: its {@link Answer}, sealed and encoded on first read
 * ({@link #getContent}). On a follower nobody reads it unless a request resent after a change of
 * leader finds it in the retry cache. This node's own proposals get the same object back in Ratis'
 * reply, so {@link RaftConsensus} takes the answer from it ({@link #answer}) without encoding and
 * parsing it again. Once encoded, only the bytes are kept (the retry cache holds the message).
 * Thread-safe.
 */
final class AnswerMessage implements Message {
  private Answer answer;
  private ByteString content;

  AnswerMessage(Answer answer) {
    this.answer = answer;
  }

  /** The answer, or null once it was encoded for a reply over the wire (then {@link #getContent}). */
  synchronized Answer answer() {
    return answer;
  }

  @Override
  public synchronized ByteString getContent() {
    if (content == null) {
      content = UnsafeByteOperations.unsafeWrap(answer.resultOrRefusal().toByteArray());
      answer = null;
    }
    return content;
  }

  /**
   * Drops the answer (and its encoding): its proposer said it received the reply (Ratis' replied
   * call ids, carried to every member in a later entry), so no request will ask for it again. What
   * remains in the retry cache is this empty message; should it be read after all, it answers
   * {@code ANSWER_RELEASED} rather than anything stale.
   */
  synchronized void release() {
    answer = null;
    content = RELEASED;
  }

  /** Whether {@link #release} ran (tests). */
  synchronized boolean released() {
    return content == RELEASED;
  }

  /** The error code a released answer reads as ({@link RaftConsensus#notReleased} turns it into a failure). */
  static final String RELEASED_CODE = "ANSWER_RELEASED";

  private static final ByteString RELEASED = UnsafeByteOperations.unsafeWrap(ApplyResult.newBuilder()
      .setError(EntryError.newBuilder().setCode(RELEASED_CODE).setMessage("this entry's answer was released "
          + "after its proposer reported receiving it; it is not kept for a resend"))
      .build().toByteArray());

  /** Never seals or encodes: only the kind of reply (Ratis may log it). */
  @Override
  public String toString() {
    return "AnswerMessage";
  }
}
