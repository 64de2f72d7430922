import { redisAvailable, redisNodes } from '../support/redis.js';
import { busContract } from './bus-contract.js';

const available = await redisAvailable();

busContract('redis', (n) => redisNodes(n), { skip: !available, maxNodes: 3 });
