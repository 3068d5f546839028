/**
 * The Kafka adapter as configured: the append side from one client library
 * (PANECAST_KAFKA_PRODUCER), the consumer-group side from one
 * (PANECAST_KAFKA_CONSUMER). Both adapters implement the whole port with the
 * same guarantees; measured on this project's load (bench/e2e), each library
 * is better at one side: @platformatic/kafka produces for about a third of
 * kafkajs's CPU per event, kafkajs consumes for about half of
 * @platformatic/kafka's and rejoins a rebalancing group only between batches
 * (platformatic-consumer.ts says why that matters). The defaults take the
 * better side of each.
 */
import type { KafkaClient } from '../config';
import type { EventLog } from './event-log';
import { KafkaLog, type KafkaLogOptions } from './kafka-log';
import { PlatformaticLog } from './platformatic-log';

export interface KafkaClients {
  producer: KafkaClient;
  consumer: KafkaClient;
}

function adapter(client: KafkaClient, options: KafkaLogOptions): EventLog {
  return client === 'platformatic' ? new PlatformaticLog(options) : new KafkaLog(options);
}

export function createKafkaLog(options: KafkaLogOptions & KafkaClients): EventLog {
  const appender = adapter(options.producer, options);
  if (options.consumer === options.producer) {
    return appender;
  }
  // Neither adapter connects before its first use, so each one only ever opens its own side.
  const reader = adapter(options.consumer, options);
  return {
    ensureTopic: () => appender.ensureTopic(),
    append: (records) => appender.append(records),
    appendLate: (records) => appender.appendLate(records),
    consume: (groupId, handlers) => reader.consume(groupId, handlers),
    endOffsets: () => reader.endOffsets(),
    ping: async () => {
      await Promise.all([appender.ping(), reader.ping()]);
    },
    close: async () => {
      // Consumers first: a batch in hand may still append late events.
      await reader.close();
      await appender.close();
    },
  };
}
