/** Web client entry: the English catalogue, the data layer and the root component. */
import { en } from './i18n/en.js';
import { registerCatalogue } from './i18n/translate.js';
import { Store } from './data/store.js';
import './components/ks-app.js';

registerCatalogue(en);
const store = new Store(location.origin);
const app = document.createElement('ks-app');
app.store = store;
document.body.append(app);
