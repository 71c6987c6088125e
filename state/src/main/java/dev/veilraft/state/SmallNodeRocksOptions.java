package dev.veilraft.state;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * The RocksDB options of one state store, sized for small nodes (a TEE guest with a few GiB of
 * memory and two cores). Every field is a native object: {@link #close()} frees them after the
 * database that uses them is closed.
 */
record SmallNodeRocksOptions(Options options, LRUCache blockCache, BloomFilter filter, WriteOptions writes)
    implements AutoCloseable {
  static final long blockCacheBytes = 32L * 1024 * 1024;
  static final long writeBufferBytes = 16L * 1024 * 1024;
  static final int writeBuffersMax = 2;
  static final int backgroundJobsMax = 2;
  static final int openFilesMax = 512;
  static final long walTotalBytesMax = 64L * 1024 * 1024;
  static final long infoLogFileBytesMax = 8L * 1024 * 1024;
  static final int infoLogFilesKept = 4;
  static final double bloomBitsPerKey = 10;

  static SmallNodeRocksOptions create() {
    LRUCache blockCache = new LRUCache(blockCacheBytes);
    BloomFilter filter = new BloomFilter(bloomBitsPerKey);
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(blockCache)
        .setFilterPolicy(filter)
        .setCacheIndexAndFilterBlocks(true);
    Options options = new Options()
        .setCreateIfMissing(true)
        // Paranoid checks make RocksDB refuse to open files whose checksums fail, rather than
        // serving whatever survives of them.
        .setParanoidChecks(true)
        // After a crash the WAL is replayed up to its first damaged record: the store is a
        // consistent prefix of applied entries, and Raft re-applies the rest.
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
        // Values are AEAD ciphertext and keys are HMACs: neither compresses, so don't try.
        .setCompressionType(CompressionType.NO_COMPRESSION)
        // No prefix extractor although locations start with an 8-byte namespace tag: it would
        // change how iterators seek (export walks across all namespaces), for little gain with the
        // handful of namespaces a node has. Whole-key Bloom filters serve the point reads.
        // No memtable Bloom filter (setMemtablePrefixBloomSizeRatio 0.01 with whole-key
        // filtering): tried with the apply path's RecentRecords in place, it cut MemTable::Get
        // from about 9% to 2% of ApplyBench's exactly-once profile, but no ApplyBench benchmark
        // got measurably faster (memtable inserts and writes took a larger share).
        .setTableFormatConfig(table)
        .setWriteBufferSize(writeBufferBytes)
        .setMaxWriteBufferNumber(writeBuffersMax)
        .setMaxBackgroundJobs(backgroundJobsMax)
        .setMaxOpenFiles(openFilesMax)
        .setMaxTotalWalSize(walTotalBytesMax)
        .setMaxLogFileSize(infoLogFileBytesMax)
        .setKeepLogFileNum(infoLogFilesKept);
    // sync=false: a write reaches the OS page cache, not necessarily the disk. That is enough
    // because the Raft log, not this store, is the durable record of committed entries: after a
    // crash the store comes back at some earlier applied index (each entry's batch is atomic)
    // and the node re-applies the log entries after it.
    WriteOptions writes = new WriteOptions().setSync(false);
    return new SmallNodeRocksOptions(options, blockCache, filter, writes);
  }

  @Override
  public void close() {
    writes.close();
    options.close();
    filter.close();
    blockCache.close();
  }
}
