import { render } from 'preact';
import { App } from './app';
import { takeTokenFromLocation } from './session';
import './styles.css';

// Before anything renders: a sign-in link's token leaves the address bar at once.
takeTokenFromLocation();
render(<App />, document.getElementById('app') as HTMLElement);
