package dev.veilraft.bench;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.CryptoException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * AES-256-GCM as the store and the response path use it ({@link AesGcmAead}: random nonce, key id,
 * 40 bytes of associated data like a record location), per value size.
 * Run: {@code java -jar bench/target/benchmarks.jar AeadBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class AeadBench {
  @Param({"64", "256", "1024", "4096", "16384"})
  public int size;

  private final AesGcmAead aead = AesGcmAead.fromKey(new byte[AesGcmAead.KEY_BYTES]);
  private final byte[] associatedData = new byte[40];
  private byte[] plaintext;
  private byte[] ciphertext;

  @Setup
  public void setUp() {
    plaintext = new byte[size];
    new Random(size).nextBytes(plaintext);
    ciphertext = aead.encrypt(plaintext, associatedData);
  }

  @Benchmark
  public byte[] seal() {
    return aead.encrypt(plaintext, associatedData);
  }

  @Benchmark
  public byte[] open() throws CryptoException {
    return aead.decrypt(ciphertext, associatedData);
  }
}
