package dev.veilraft.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;

/**
 * Parses a protobuf message whose {@code bytes} fields are views of the input instead of copies.
 *
 * <p>{@code parseFrom(byte[])} copies every {@code bytes} field it reads, and a message that
 * carries another message's encoding in a {@code bytes} field (a log entry holding a proposal, a
 * proposal holding sealed events) is then copied once per level: on the apply path of every member
 * that was about a fifth of all bytes allocated (session 36's allocation profiles). Here the fields
 * alias the input, so the caller hands the input over: it must never change the array afterwards,
 * since the parsed message, and anything that keeps one of its fields, still reads it. For
 * ciphertext and other bytes that are never zeroed in place; not for plaintext that is.
 *
 * <p>What parses and what fails is exactly as with {@code parseFrom}: the same parser, and the
 * same check that the input did not end inside a group.
 */
public final class AliasedProtobuf {
  private AliasedProtobuf() {}

  /** {@code parser.parseFrom(bytes)}, its {@code bytes} fields views of {@code bytes}, which must not change afterwards. */
  public static <T> T parse(Parser<T> parser, byte[] bytes) throws InvalidProtocolBufferException {
    return parse(parser, UnsafeByteOperations.unsafeWrap(bytes));
  }

  /** {@code parser.parseFrom(bytes)}, its {@code bytes} fields views of the same bytes. */
  public static <T> T parse(Parser<T> parser, ByteString bytes) throws InvalidProtocolBufferException {
    CodedInputStream in = bytes.newCodedInput();
    in.enableAliasing(true);
    T message = parser.parseFrom(in);
    // parseFrom(byte[]) refuses an input that ends on a stray end-group tag; the stream form does not check.
    in.checkLastTagWas(0);
    return message;
  }
}
