package dev.veilraft.consensus.ratis;

import dev.veilraft.consensus.Answer;
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

  /** Never seals or encodes: only the kind of reply (Ratis may log it). */
  @Override
  public String toString() {
    return "AnswerMessage";
  }
}
