import io.debezium.config.Configuration;
import io.debezium.connector.base.ChangeEventQueueMetrics;
import io.debezium.connector.common.CdcSourceTaskContext;
import io.debezium.connector.oracle.OracleConnectorConfig;
import io.debezium.connector.oracle.OraclePartition;
import io.debezium.connector.oracle.Scn;
import io.debezium.connector.oracle.logminer.LogMinerStreamingChangeEventSourceMetrics;
import io.debezium.pipeline.metrics.DefaultSnapshotChangeEventSourceMetrics;
import io.debezium.pipeline.source.spi.EventMetadataProvider;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.relational.TableId;
import io.debezium.spi.schema.DataCollectionId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;

/**
 * Debezium's own LogMiner streaming and snapshot metrics objects from the pinned plugin, registered as the Oracle
 * task registers them and driven by commands on stdin the way the streaming source drives them:
 *   dbclock MS        the database's clock MS ahead of this JVM (negative: behind); setDatabaseTimeDifference
 *   change AGO        a change the database stamped AGO ms before its own now; calculateLagFromSource
 *   oldest AGO|none   the oldest buffered transaction started AGO ms before the database's now, or an empty buffer
 *   scn CURRENT OFFSET
 *   connected true|false
 *   snapshot start|done
 *   restart           the task restarts: its metrics objects are unregistered and new ones registered
 * Each command answers "ok".
 */
public class RunwayMetrics {
    static Configuration settings;
    static OracleConnectorConfig config;
    static CdcSourceTaskContext<OracleConnectorConfig> context;
    static OraclePartition partition;
    static List<TableId> tables;
    static LogMinerStreamingChangeEventSourceMetrics streaming;
    static DefaultSnapshotChangeEventSourceMetrics<OraclePartition> snapshot;
    static long dbAheadMs = 0L;

    static final ChangeEventQueueMetrics QUEUE = new ChangeEventQueueMetrics() {
        public int totalCapacity() { return 8192; }
        public int remainingCapacity() { return 8192; }
        public long maxQueueSizeInBytes() { return 0L; }
        public long currentQueueSizeInBytes() { return 0L; }
    };
    static final EventMetadataProvider EVENTS = new EventMetadataProvider() {
        public Instant getEventTimestamp(DataCollectionId c, OffsetContext o, Object k, Struct v) {
            return Instant.now();
        }
        public Map<String, String> getEventSourcePosition(DataCollectionId c, OffsetContext o, Object k, Struct v) {
            return Map.of();
        }
        public String getTransactionId(DataCollectionId c, OffsetContext o, Object k, Struct v) { return null; }
    };

    static void startTask() {
        streaming = new LogMinerStreamingChangeEventSourceMetrics(context, QUEUE, EVENTS, config, () -> tables);
        streaming.register();
        snapshot = new DefaultSnapshotChangeEventSourceMetrics<>(context, QUEUE, EVENTS);
        snapshot.register();
        snapshot.monitoredDataCollectionsDetermined(partition, tables);
    }

    static Instant databaseNowMinus(long agoMs) {
        return Instant.now().plusMillis(dbAheadMs).minusMillis(agoMs);
    }

    public static void main(String[] args) throws Exception {
        String topicPrefix = args[0];
        settings = Configuration.from(Map.of(
            "topic.prefix", topicPrefix, "database.dbname", "ORCLCDB", "connector.class",
            "io.debezium.connector.oracle.OracleConnector"));
        config = new OracleConnectorConfig(settings);
        context = new CdcSourceTaskContext<>(settings, config, "0", Map.of());
        partition = new OraclePartition(topicPrefix, "ORCLCDB");
        tables = List.of(new TableId("ORCLCDB", "WMS", "ORDERS"));
        startTask();
        System.out.println("registered");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] word = line.trim().split(" ");
            switch (word[0]) {
                case "dbclock" -> {
                    dbAheadMs = Long.parseLong(word[1]);
                    streaming.setDatabaseTimeDifference(OffsetDateTime.ofInstant(databaseNowMinus(0L), ZoneOffset.UTC));
                }
                case "change" -> streaming.calculateLagFromSource(databaseNowMinus(Long.parseLong(word[1])));
                case "oldest" -> {
                    if (word[1].equals("none")) {
                        streaming.setOldestScnDetails(Scn.NULL, null);
                    } else {
                        streaming.setOldestScnDetails(Scn.valueOf(1L), databaseNowMinus(Long.parseLong(word[1])));
                    }
                }
                case "scn" -> {
                    streaming.setCurrentScn(Scn.valueOf(Long.parseLong(word[1])));
                    streaming.setOffsetScn(Scn.valueOf(Long.parseLong(word[2])));
                }
                case "connected" -> streaming.connected(Boolean.parseBoolean(word[1]));
                case "snapshot" -> {
                    if (word[1].equals("start")) {
                        snapshot.snapshotStarted(partition);
                    } else {
                        snapshot.snapshotCompleted(partition);
                    }
                }
                case "restart" -> {
                    streaming.unregister();
                    snapshot.unregister();
                    startTask();
                }
                default -> throw new IllegalArgumentException("unknown command " + line);
            }
            System.out.println("ok");
        }
    }
}
