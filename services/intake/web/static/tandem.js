// Progressive enhancement only: every page works without JavaScript.
import { initAll } from './govuk-frontend.min.js'

initAll()

// The running count of "yes" answers on the DASH checklist pages.
for (const box of document.querySelectorAll('[data-dash-count]')) {
  const form = box.closest('form')
  const output = box.querySelector('[data-dash-count-value]')
  const elsewhere = Number(box.dataset.yesElsewhere || 0)
  const update = () => {
    const yes = form.querySelectorAll('.tandem-dash-question input[value="yes"]:checked').length
    output.textContent = String(elsewhere + yes)
  }
  form.addEventListener('change', update)
  update()
}

// A print button on the printable agenda (the browser's own print command works too).
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
